package onboarding

import "time"

// DeviceState is the state of an enrolled device.
type DeviceState string

// States of a Device.
const (
	// DeviceActive: the device holds a valid certificate.
	DeviceActive DeviceState = "active"
)

// Device is a user's key bound to an application, with the certificate
// issued for it.
type Device struct {
	// ID is assigned by the store on create.
	ID            string `json:"id"`
	ApplicationID string `json:"application_id"`
	UserID        string `json:"user_id"`
	// PublicKey is the DER SubjectPublicKeyInfo of the device's key.
	PublicKey []byte `json:"public_key"`
	// CertSerial is the serial number of the device's certificate, in
	// lower-case hex.
	CertSerial string `json:"cert_serial"`
	// ActivityID is the onboarding that enrolled the device.
	ActivityID string      `json:"activity_id"`
	CreatedAt  time.Time   `json:"created_at"`
	State      DeviceState `json:"state"`
}
