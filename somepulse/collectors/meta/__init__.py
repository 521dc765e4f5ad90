"""Meta: Facebook page, Instagram and Messenger webhooks."""
