// Answers every MQTT request on boiler/bench/req/<id> with a QoS 1 publish on boiler/bench/res/<id>.
import mqtt from 'mqtt';

const client = mqtt.connect('mqtt://127.0.0.1:1883', { clientId: `bench-responder-${process.pid}`, clean: true });
client.on('connect', () => {
  client.subscribe('boiler/bench/req/#', { qos: 1 }, () => console.log(JSON.stringify({ ready: true })));
});
client.on('message', (topic, payload) => {
  client.publish(topic.replace('/req/', '/res/'), payload, { qos: 1 });
});
