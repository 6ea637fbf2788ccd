"""What the sip calls tests add to baresipfix: a phone that can decode.

baresip 1.0.0's aufile module has no player, and without a player nothing
is decoded (so sndfile records nothing and answering may fail): Phone plays
into ALSA's null device instead (no sound card needed)."""
from baresipfix import Baresip


class Phone(Baresip):
    def _config(self):
        lines = [l for l in super()._config().splitlines() if not l.startswith("audio_player")]
        return "\n".join(lines + ["module alsa.so", "audio_player alsa,null", ""])
