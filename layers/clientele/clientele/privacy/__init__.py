"""The shopper's privacy pages: erase links, marketing preferences and the privacy portal."""
