"""The bundled sample web: small treatment-center sites for the demo and the tests."""
