package callback

// Variables returns the names of the variables that Usher gives every
// callback (Notakey's table), in a new slice; templates may also use the custom variables
// of a profile and a request, whose names follow ValidName.
//
//	response_type            the answer (approve or deny), empty before one
//	state                    the third party's state, as given at create
//	event                    the event the callback fires for
//	uuid                     the request's ID
//	username                 the user's name
//	user_email               the user's e-mail address
//	user_phone               the user's phone number
//	user_full_name           the user's full name
//	user_id                  the user's ID in the application
//	user_guid                the user's globally unique ID
//	biometry_check           "true" when the request asks for a biometric check
//	keytoken                 the answering device's key token
//	fingerprint              the fingerprint the request carries
//	action                   the request's action (title)
//	description              the request's description (body)
//	response_payload_base64  the device's signed answer, base64
//	response_payload_type    the type of that payload
//	response_ip              the address the answer came from
//	request_ip               the address the request came from
//	error                    for Error callbacks: a short error code
//	error_message            for Error callbacks: what failed
func Variables() []string {
	return []string{
		"response_type", "state", "event", "uuid", "username", "user_email",
		"user_phone", "user_full_name", "user_id", "user_guid", "biometry_check",
		"keytoken", "fingerprint", "action", "description",
		"response_payload_base64", "response_payload_type", "response_ip",
		"request_ip", "error", "error_message",
	}
}
