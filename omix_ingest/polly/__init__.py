"""The Polly OmixAtlas API: HTTP client, Backend, template cache, and the emulator tests run against."""
