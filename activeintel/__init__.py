"""The application shell: the ``activeintel`` command wires the layers together."""
