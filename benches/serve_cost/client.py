# One keep-alive connection sending N GETs to the serve-cost server (see run.sh).
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.connect()
        break
    except OSError:
        time.sleep(0.1)
for i in range(n):
    c.request("GET", "/")
    r = c.getresponse()
    assert r.status == 200
    r.read()
