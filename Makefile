# make test: everything, against private OpenLDAP and PostgreSQL servers that
# scripts/testservers.sh installs (on Debian, as root), starts and stops.

GO ?= go
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
STATICCHECK_VERSION ?= v0.8.2

.PHONY: test test-ad check vet staticcheck unit tools

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
check: vet staticcheck unit

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

tools:
	@test -x "$(STATICCHECK)" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
