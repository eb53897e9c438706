# make test: everything, against private OpenLDAP and PostgreSQL servers that
# scripts/testservers.sh installs (on Debian, as root), starts and stops.

GO ?= go
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
STATICCHECK_VERSION ?= v0.8.2

.PHONY: test check vet staticcheck unit tools

test: tools
	./scripts/testservers.sh $(MAKE) --no-print-directory check

# check runs with the servers' addresses in the environment.
check: vet staticcheck unit

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

tools:
	@test -x "$(STATICCHECK)" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
