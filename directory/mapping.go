package directory

// Mapping names the source attribute that fills each Entry field. An empty
// field keeps the source's default (see LDAPMapping, ADMapping and
// GraphMapping).
type Mapping struct {
	FullName       string `json:"fullName,omitempty"`
	Username       string `json:"username,omitempty"`
	CorporateEmail string `json:"corporateEmail,omitempty"`
	PersonalEmail  string `json:"personalEmail,omitempty"`
	PhoneNumber    string `json:"phoneNumber,omitempty"`
	Groups         string `json:"groups,omitempty"`
	Roles          string `json:"roles,omitempty"`
}

// LDAPMapping is the default mapping of plain LDAP sources (OpenLDAP and
// other directories of inetOrgPerson entries): the sign-in name from uid,
// the corporate e-mail from mail, the name from cn, and no personal e-mail.
func LDAPMapping() Mapping {
	return Mapping{
		FullName:       "cn",
		Username:       "uid",
		CorporateEmail: "mail",
		PhoneNumber:    "telephoneNumber",
		Groups:         "memberOf",
		Roles:          "employeeType",
	}
}

// ADMapping is the default mapping of Active Directory sources, PureSync's:
// the sign-in name and the corporate e-mail from userPrincipalName, the
// personal e-mail from mail.
func ADMapping() Mapping {
	return Mapping{
		FullName:       "displayName",
		Username:       "userPrincipalName",
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
