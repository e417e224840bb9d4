#!/usr/bin/env python3
"""An independent MQTT-over-WebSocket client for broker_websocket_test.cpp (Debian's
python3-paho-mqtt, transport="websockets"): connects to ws://127.0.0.1:PORT/mqtt with a
device's credentials, subscribes to its topics, publishes one QoS 1 message and waits for it
to come back. Prints "received TOPIC PAYLOAD" and exits 0 on success; 1 (with the reason) on
any failure or after 10 s.

usage: paho_ws_client.py PORT UID SECRET {v311|v5}
"""
import sys
import threading

import paho.mqtt.client as mqtt


def main():
    port, uid, secret, version = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    protocol = mqtt.MQTTv5 if version == "v5" else mqtt.MQTTv311
    client = mqtt.Client(client_id="paho-" + uid + "-" + version, protocol=protocol,
                         transport="websockets")
    client.ws_set_options(path="/mqtt")
    client.username_pw_set(uid, secret)
    done = threading.Event()
    result = {"error": None, "received": None}
    topic = "sw/d/%s/telemetry" % uid
    payload = '{"values":{"paho_%s":1}}' % version

    def on_connect(c, _userdata, _flags, rc, _properties=None):
        if rc != 0:
            result["error"] = "connack %s" % rc
            done.set()
            return
        c.subscribe("sw/d/%s/#" % uid, qos=1)

    def on_subscribe(c, _userdata, _mid, granted, _properties=None):
        codes = [g if isinstance(g, int) else g.value for g in granted]
        if any(code >= 0x80 for code in codes):
            result["error"] = "suback %s" % codes
            done.set()
            return
        c.publish(topic, payload, qos=1)

    def on_message(_c, _userdata, message):
        result["received"] = "%s %s" % (message.topic, message.payload.decode())
        done.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    try:
        client.connect("127.0.0.1", int(port), keepalive=30)
    except Exception as e:  # noqa: BLE001 - report any connection failure
        print("connect failed: %s" % e)
        return 1
    client.loop_start()
    finished = done.wait(10)
    client.disconnect()
    client.loop_stop()
    if not finished:
        print("timed out")
        return 1
    if result["error"]:
        print(result["error"])
        return 1
    print("received " + result["received"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
