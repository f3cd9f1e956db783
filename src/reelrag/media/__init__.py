"""Media handling every backend shares: robust decoding (:mod:`.decode`), fitting an image to a
model's size without stretching (:mod:`.fit`), H.264 encoding and probing with PyAV (:mod:`.video`)
and motion measured from pixels (:mod:`.measure`).
"""
