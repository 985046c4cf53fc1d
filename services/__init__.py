"""Services: asyncio modules that talk to the world (AWS, SSH, DNS, TLS, MQTT).

Nothing here imports Textual or Rich; results are frozen dataclasses or async iterators.
"""
