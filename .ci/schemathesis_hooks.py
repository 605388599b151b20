# Loaded by .ci/schemathesis (SCHEMATHESIS_HOOKS): a part of a resumable upload (tus 1.0) is
# sent as application/offset+octet-stream, raw bytes like application/octet-stream.
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
