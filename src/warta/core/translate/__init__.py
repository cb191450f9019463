"""Translation: engine protocol, segmentation, engines, model installation."""
