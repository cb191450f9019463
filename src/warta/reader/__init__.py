"""What readers get from warta beyond the pages: the e-mail newsletter (subscribers with
double opt-in, digests sent over SMTP) and, later, WebSub pings and the read API."""
