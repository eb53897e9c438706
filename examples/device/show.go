package main

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding/issuer"
)

// cmdShow: show [-key FILE] [-state FILE] [-png FILE] [-svg FILE].
func (a *app) cmdShow(_ context.Context, args []string) error {
	fl := a.newFlagSet("show", "Prints the key's fingerprint and comparison code and, once onboarded, the\n"+
		"certificate's subject, serial and expiry and the server, application and\ndevice ID of the state file.")
	p := keyFlags(fl)
	var pic pictureFlags
	pic.add(fl)
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if err := pic.check(); err != nil {
		return err
	}
	key, err := loadKey(p.key)
	if err != nil {
		return err
	}
	id, err := identityOf(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "key:         %s (%s)\n", p.key, algName(key))
	a.printIdentity(id)
	if err := a.writePictures(&pic, id.art); err != nil {
		return err
	}

	cert, err := readCert(p.cert())
	switch {
	case isNotExist(err):
		fmt.Fprintf(a.stdout, "certificate: none (not onboarded; run \"%s onboard\")\n", prog)
	case err != nil:
		return err
	default:
		if spki, err := x509.MarshalPKIXPublicKey(cert.PublicKey); err != nil || string(spki) != string(id.spki) {
			return fmt.Errorf("certificate %s is not for the key in %s", p.cert(), p.key)
		}
		fmt.Fprintf(a.stdout, "certificate: %s\n", p.cert())
		fmt.Fprintf(a.stdout, "  subject:   %s\n", nameString(cert.Subject))
		if sub, err := issuer.SubjectOf(cert); err == nil {
			fmt.Fprintf(a.stdout, "  device:    %s (user %s, application %s)\n", sub.DeviceID, sub.UserID, sub.Application)
		}
		fmt.Fprintf(a.stdout, "  issuer:    %s\n", cert.Issuer)
		fmt.Fprintf(a.stdout, "  serial:    %s\n", serialHex(cert))
		fmt.Fprintf(a.stdout, "  valid:     %s to %s%s\n", cert.NotBefore.UTC().Format(time.RFC3339),
			cert.NotAfter.UTC().Format(time.RFC3339), expiry(cert, a.now()))
	}

	st, err := readState(p.statePath())
	switch {
	case isNotExist(err):
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(a.stdout, "server:      %s\n", st.Server)
	fmt.Fprintf(a.stdout, "application: %s\n", st.Application)
	fmt.Fprintf(a.stdout, "device ID:   %s\n", st.DeviceID)
	fmt.Fprintf(a.stdout, "onboarded:   %s\n", st.OnboardedAt.Format(time.RFC3339))
	if st.Fingerprint != id.fingerprint {
		return fmt.Errorf("state file %s is for another key (fingerprint %s)", p.statePath(), st.Fingerprint)
	}
	return nil
}

// shortNames are the attribute types of the names Usher's issuers write.
var shortNames = map[string]string{
	"2.5.4.3":                   "CN",
	"2.5.4.10":                  "O",
	"2.5.4.11":                  "OU",
	"0.9.2342.19200300.100.1.1": "UID",
}

// nameString is n as "CN=…, OU=…, UID=…" in the certificate's order; unlike
// pkix.Name.String it shows UID (the user's ID) as text.
func nameString(n pkix.Name) string {
	parts := make([]string, 0, len(n.Names))
	for _, atv := range n.Names {
		t, ok := shortNames[atv.Type.String()]
		if !ok {
			t = atv.Type.String()
		}
		parts = append(parts, fmt.Sprintf("%s=%v", t, atv.Value))
	}
	if len(parts) == 0 {
		return n.String()
	}
	return strings.Join(parts, ", ")
}

// expiry says whether cert is valid at now.
func expiry(cert *x509.Certificate, now time.Time) string {
	switch {
	case now.After(cert.NotAfter):
		return " (EXPIRED)"
	case now.Before(cert.NotBefore):
		return " (NOT YET VALID)"
	}
	return ""
}

// readCert reads a PEM certificate file; a missing one wraps
// fs.ErrNotExist.
func readCert(path string) (*x509.Certificate, error) {
	data, err := keyfile.Read(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("certificate %s: not a PEM \"CERTIFICATE\" block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", path, err)
	}
	return cert, nil
}
