package directory

// Mapping names the source attribute that fills each Entry field. An empty
// field keeps the source's default (see LDAPMapping and GraphMapping).
type Mapping struct {
	FullName       string `json:"fullName,omitempty"`
	Username       string `json:"username,omitempty"`
	CorporateEmail string `json:"corporateEmail,omitempty"`
	PersonalEmail  string `json:"personalEmail,omitempty"`
	PhoneNumber    string `json:"phoneNumber,omitempty"`
	Groups         string `json:"groups,omitempty"`
	Roles          string `json:"roles,omitempty"`
}

// LDAPMapping is the default mapping of LDAP and Active Directory sources.
func LDAPMapping() Mapping {
	return Mapping{
		FullName:       "displayName",
		Username:       "uid",
		CorporateEmail: "userPrincipalName",
		PersonalEmail:  "mail",
		PhoneNumber:    "telephoneNumber",
		Groups:         "memberOf",
		Roles:          "employeeType",
	}
}

// GraphMapping is the default mapping of Azure AD (Microsoft Graph) sources.
func GraphMapping() Mapping {
	return Mapping{
		FullName:       "displayName",
		Username:       "userPrincipalName",
		CorporateEmail: "userPrincipalName",
		PersonalEmail:  "otherMails",
		PhoneNumber:    "mobilePhone",
		Groups:         "department",
		Roles:          "employeeType",
	}
}

// Merge returns m with its empty fields taken from def.
func (m Mapping) Merge(def Mapping) Mapping {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	return Mapping{
		FullName:       pick(m.FullName, def.FullName),
		Username:       pick(m.Username, def.Username),
		CorporateEmail: pick(m.CorporateEmail, def.CorporateEmail),
		PersonalEmail:  pick(m.PersonalEmail, def.PersonalEmail),
		PhoneNumber:    pick(m.PhoneNumber, def.PhoneNumber),
		Groups:         pick(m.Groups, def.Groups),
		Roles:          pick(m.Roles, def.Roles),
	}
}
