package hasher

// legacyConfig holds the parameters of formats kept for migration.
type legacyConfig struct{}

func defaultLegacyConfig() legacyConfig { return legacyConfig{} }

// legacyHashers returns the built-in hashers of formats kept for migration.
func legacyHashers(c *config) []Hasher { return nil }
