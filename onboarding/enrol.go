package onboarding

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"

	"github.com/usher-sdk/usher/onboarding/issuer"
)

func parseSPKI(der []byte) (crypto.PublicKey, error) { return x509.ParsePKIXPublicKey(der) }

// Enrolment is the result of a successful onboarding.
type Enrolment struct {
	Device      Device
	Certificate *x509.Certificate
}

// Enrol finishes an onboarding whose requirements are all met: csr (PEM or
// DER PKCS #10) must be signed with the key the onboarding started with
// (ErrKeyMismatch) and carry its current nonce in challengePassword
// (issuer.VerifyCSR; a used one is ErrReplay); the user must have fewer
// devices than the application allows (ErrDeviceLimit). The nonce is then
// consumed, the Issuer issues the certificate and the device is stored.
// A refused CSR changes nothing. When the Issuer fails, the onboarding
// waits for the CSR again with the same nonce; when the store refuses the
// device (a concurrent enrolment reached the limit first), the certificate
// is revoked (if the Issuer is an issuer.Revoker) and the onboarding is
// rejected.
func (m *Manager) Enrol(ctx context.Context, id string, csrData []byte) (Enrolment, error) {
	act, err := m.store.GetActivity(ctx, id)
	if err != nil {
		return Enrolment{}, err
	}
	switch {
	case act.Status == StatusCompleted:
		return Enrolment{}, fmt.Errorf("%w: %w", ErrReplay, ErrFinished)
	case act.Status == StatusRejected:
		return Enrolment{}, ErrRejected
	case act.Status != StatusAwaitingCSR:
		return Enrolment{}, fmt.Errorf("%w: CSR before the last requirement is met", ErrOutOfOrder)
	}
	csr, err := issuer.VerifyCSRChallenge(csrData, act.Nonce, m.csrChallenge())
	if errors.Is(err, issuer.ErrNonceMismatch) {
		return Enrolment{}, fmt.Errorf("%w: %w", ErrReplay, err)
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("onboarding: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(csr.PublicKey)
	if err != nil || !bytes.Equal(spki, act.PublicKey) {
		return Enrolment{}, ErrKeyMismatch
	}
	app, err := m.store.GetApplication(ctx, act.ApplicationID)
	if err != nil {
		return Enrolment{}, err
	}
	if act.UserID == "" {
		return Enrolment{}, fmt.Errorf("%w: no requirement of the chain found a user", ErrOutOfOrder)
	}
	have, err := m.store.ListDevices(ctx, app.ID, act.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	if len(have) >= app.Limit() {
		m.emit(ctx, AuditRefused, act, TagSystem, "Device limit reached.", "")
		return Enrolment{}, ErrDeviceLimit
	}
	deviceID, err := m.ids.Next(m.now(), m.rand)
	if err != nil {
		return Enrolment{}, fmt.Errorf("onboarding: device ID: %w", err)
	}
	nonce := act.Nonce
	act, err = m.store.UpdateActivity(ctx, id, func(a *Activity) error {
		if a.Status != StatusAwaitingCSR || !nonceEqual(a.Nonce, nonce) {
			return ErrReplay
		}
		a.Nonce = ""
		a.Status = StatusCompleted
		a.Steps = append(a.Steps, m.step(TagSystem, "Certificate request accepted."))
		return nil
	})
	if err != nil {
		return Enrolment{}, err
	}
	fail := func(msg string, err error) (Enrolment, error) {
		_, uerr := m.store.UpdateActivity(ctx, id, func(a *Activity) error {
			a.Status = StatusRejected
			a.Steps = append(a.Steps, m.step(TagSystem, msg))
			return nil
		})
		m.emit(ctx, AuditRefused, act, TagSystem, msg, "")
		return Enrolment{}, errors.Join(err, uerr)
	}
	cert, err := m.iss.Issue(ctx, csr, issuer.Subject{UserID: act.UserID, Application: app.Name, DeviceID: deviceID})
	if err != nil {
		// Nothing was issued: give the nonce back, so that the device can
		// send its CSR again once the issuer works.
		_, uerr := m.store.UpdateActivity(ctx, id, func(a *Activity) error {
			a.Status, a.Nonce = StatusAwaitingCSR, nonce
			a.Steps = append(a.Steps, m.step(TagSystem, "Certificate not issued; the device may try again."))
			return nil
		})
		m.emit(ctx, AuditRefused, act, TagSystem, "Certificate not issued.", "")
		return Enrolment{}, errors.Join(fmt.Errorf("onboarding: issue: %w", err), uerr)
	}
	dev, err := m.store.AddDevice(ctx, Device{
		ID:            deviceID,
		ApplicationID: app.ID,
		UserID:        act.UserID,
		PublicKey:     act.PublicKey,
		CertSerial:    cert.SerialNumber.Text(16),
		ActivityID:    act.ID,
		State:         DeviceActive,
	}, app.Limit())
	if err != nil {
		m.revoke(ctx, cert.SerialNumber)
		return fail("Device not stored.", err)
	}
	m.emit(ctx, AuditEnrolled, act, TagSystem, "Device onboarded.", "")
	return Enrolment{Device: dev, Certificate: cert}, nil
}

func (m *Manager) revoke(ctx context.Context, serial *big.Int) {
	r, ok := m.iss.(issuer.Revoker)
	if !ok {
		return
	}
	if err := r.Revoke(ctx, serial); err != nil {
		m.log.ErrorContext(ctx, "onboarding: revoke", "serial", serial.Text(16), "err", err)
	}
}

// DestroyDevice removes a device and, when the Issuer is an issuer.Revoker,
// revokes its certificate.
func (m *Manager) DestroyDevice(ctx context.Context, id string) error {
	d, err := m.store.DeleteDevice(ctx, id)
	if err != nil {
		return err
	}
	return m.revokeDevice(ctx, d)
}

// DestroyUserDevices removes every device of a user (when the user is
// destroyed) and revokes their certificates.
func (m *Manager) DestroyUserDevices(ctx context.Context, userID string) error {
	ds, err := m.store.DeleteUserDevices(ctx, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range ds {
		errs = append(errs, m.revokeDevice(ctx, d))
	}
	return errors.Join(errs...)
}

func (m *Manager) revokeDevice(ctx context.Context, d Device) error {
	m.emit(ctx, AuditDeviceDestroyed, Activity{ID: d.ActivityID, ApplicationID: d.ApplicationID, UserID: d.UserID},
		TagSystem, "Device destroyed.", d.ID)
	r, ok := m.iss.(issuer.Revoker)
	if !ok {
		return nil
	}
	serial, ok := new(big.Int).SetString(d.CertSerial, 16)
	if !ok {
		return fmt.Errorf("onboarding: device %s: bad serial %q", d.ID, d.CertSerial)
	}
	if err := r.Revoke(ctx, serial); err != nil {
		return fmt.Errorf("onboarding: revoke device %s: %w", d.ID, err)
	}
	return nil
}
