"""Many articles: discovery, rate limiting, and the engines that run a batch."""
