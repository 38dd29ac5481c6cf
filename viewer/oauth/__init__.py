"""OAuth 2.0 for SMTP: providers, the desktop sign-in (PKCE, device code), stored tokens, token sources."""
