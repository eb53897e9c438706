package directory

import (
	"context"
	"sync"
)

// ParallelBatchTarget is an optional BatchSyncTarget capability: a target
// that gains from being handed several batches at once, such as one in
// another process, which decodes and verifies a batch while it writes the
// one before (directory/syncapi's Client). ApplySync, Sync and AutoSync
// then keep up to ParallelBatches batches in its hands at once; the
// changes of one sync are of distinct users, so the batches' order does
// not matter, and the outcomes are reported in the order of the plan.
type ParallelBatchTarget interface {
	BatchSyncTarget
	// ParallelBatches is how many ApplySyncBatch calls may run at once
	// (at most 8 are used).
	ParallelBatches() int
}

// maxParallelBatches bounds what a target may ask for.
const maxParallelBatches = 8

// parallelBatches is how many batches the applier hands its target at
// once.
func (a *applier) parallelBatches() int {
	p, ok := a.target.(ParallelBatchTarget)
	if !ok || a.batcher == nil {
		return 1
	}
	return max(1, min(p.ParallelBatches(), maxParallelBatches))
}

// applyParallel is run's loop for a ParallelBatchTarget: up to n chunks
// are with the target at once, and their outcomes are reported in order,
// here, as apply would. It returns once no call to the target is left
// running.
func (a *applier) applyParallel(ctx context.Context, signed <-chan signedChunk, n int) error {
	ctx, cancel := context.WithCancel(ctx)
	type sent struct {
		sc    signedChunk
		batch []SignedChange
		errs  []error
		done  chan struct{}
	}
	var calls sync.WaitGroup
	handed := make(chan struct{}) // closed when the loop below stops handing out
	defer func() { cancel(); <-handed; calls.Wait() }()
	// queue holds the chunks handed out and not yet reported, in order;
	// with the one being waited for, n are with the target.
	queue := make(chan *sent, n-1)
	go func() {
		defer close(handed)
		defer close(queue)
		for {
			var sc signedChunk
			select {
			case c, ok := <-signed:
				if !ok {
					return
				}
				sc = c
			case <-ctx.Done():
				return
			}
			s := &sent{sc: sc, batch: signedOnly(sc), done: make(chan struct{})}
			select {
			case queue <- s:
			case <-ctx.Done():
				return
			}
			calls.Go(func() {
				defer close(s.done)
				s.errs = a.send(ctx, s.batch)
			})
		}
	}()
	for s := range queue {
		<-s.done
		if err := a.finish(ctx, s.sc, s.batch, s.errs); err != nil {
			return err
		}
	}
	return ctx.Err()
}
