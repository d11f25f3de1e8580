from tests.dovecot import dovecot, dovecot_factory
def test_x(dovecot):
    dovecot.append(b"From: a@b.c\nSubject: hi\n\nbody\n")
    dovecot.append(b"From: a@b.c\nSubject: hi2\n\nbody\n", "Traités")
    print(dovecot.folders(), dovecot.count(), dovecot.count("Traités"))
    import subprocess; print(subprocess.run(["find", str(dovecot.root/"mail")],capture_output=True,text=True).stdout)
