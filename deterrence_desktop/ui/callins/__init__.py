"""Call-in screens: the planning wizard, the call-ins page and the attendance dialog."""
