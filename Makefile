# make test: everything, against private OpenLDAP and PostgreSQL servers that
# scripts/testservers.sh installs (on Debian, as root), starts and stops.

GO ?= go
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
STATICCHECK_VERSION ?= v0.8.2
# gofmt of the toolchain go runs (GOTOOLCHAIN may fetch a newer one than PATH has).
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt

.PHONY: test test-ad check tidy fmt vet staticcheck unit tools

test: tools
	./scripts/testservers.sh $(MAKE) --no-print-directory check

# test-ad: the Active Directory tests (files with the build tag samba, named
# TestSamba*) against a private Samba AD domain controller on 127.0.0.1 that
# scripts/samba-ad.sh installs (on Debian, as root), provisions, starts and
# stops. Only one DC runs per machine (fixed ports 389/636).
test-ad: tools
	$(GO) vet -tags samba ./internal/testenv/ ./directory/ldap/
	$(STATICCHECK) -tags samba ./internal/testenv/ ./directory/ldap/
	./scripts/samba-ad.sh $(GO) test -tags samba -race -count=1 -run '^TestSamba' ./directory/...

# check runs with the servers' addresses in the environment.
check: tidy fmt vet staticcheck unit

# tidy fails when go.mod or go.sum is not what go mod tidy makes.
tidy:
	$(GO) mod tidy -diff

# fmt fails when a file is not gofmt-formatted.
fmt:
	@out=$$($(GOFMT) -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -l (run gofmt -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

tools:
	@test -x "$(STATICCHECK)" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
