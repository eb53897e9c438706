// Package authrequest sends push authentication requests to users' enrolled
// devices and reports the answers: a third party (a VPN, a web login) asks
// Usher to have a user of an application approve an action; the user's
// devices, onboarded with package onboarding, fetch the request and approve
// or deny it by signing a canonical encoding of it with their enrolled key;
// the third party polls or waits for the result, and the request's
// authentication profile reports each event to its callbacks, signed the
// Standard Webhooks way and delivered through a durable outbox.
//
// The package follows Usher's shape: a Manager with a Config, a Store (in
// memory with memstore, on the shared database with sqlstore, checked by
// storetest), and http.Handlers for the third-party API and the device API.
package authrequest
