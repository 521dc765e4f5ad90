#!/usr/bin/env bash
# Start a single-node Apache Kafka (KRaft) that admits only authenticated clients
# (SASL/SCRAM-SHA-512) and lets each do only its job (ACLs, security review C6):
#   worker     reads and writes the project's topics (prefix somepulse), its groups
#   collector  writes events, nothing else (cannot read events or dead letters)
#   admin      the broker itself and operators (super user)
# Passwords come from files (Docker secrets). The same script runs in docker-compose
# (defaults below) and in the test suite on Kafka from Maven (variables overridden).
set -euo pipefail
BIN=${KAFKA_BIN:-/opt/kafka/bin}
SECRETS=${SECRETS_DIR:-/run/secrets}
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
HOST=${KAFKA_ADVERTISED_HOST:-kafka}
DATA=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
CONF=${KAFKA_CONF_DIR:-/tmp/somepulse-kafka}
EVENTS_TOPIC=${SOMEPULSE_EVENTS_TOPIC:-somepulse.events.v1}
umask 077
mkdir -p "$CONF" "$DATA"
admin=$(cat "$SECRETS/kafka_admin_password")
jaas() { echo "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$2\";"; }

cat > "$CONF/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$CONTROLLER_PORT
listeners=SASL_PLAINTEXT://:$PORT,CONTROLLER://localhost:$CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$(jaas admin "$admin")
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# the controller listener is bound to localhost: its anonymous principal is the broker
super.users=User:admin;User:ANONYMOUS
log.dirs=$DATA
num.partitions=4
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
cat > "$CONF/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(jaas admin "$admin")
PROPS

if [ ! -f "$DATA/meta.properties" ]; then
    scram=()
    for user in admin worker collector; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(cat "$SECRETS/kafka_${user}_password")]")
    done
    "$BIN/kafka-storage.sh" format --cluster-id "$("$BIN/kafka-storage.sh" random-uuid)" \
        --config "$CONF/server.properties" "${scram[@]}" >/dev/null
fi

"$BIN/kafka-server-start.sh" "$CONF/server.properties" &
broker=$!
trap 'kill -TERM $broker 2>/dev/null' TERM INT

acl() { "$BIN/kafka-acls.sh" --bootstrap-server "localhost:$PORT" --command-config "$CONF/admin.properties" "$@" >/dev/null; }
until acl --list --topic "$EVENTS_TOPIC" 2>/dev/null; do
    kill -0 $broker 2>/dev/null || exit 1
    sleep 1
done
acl --add --allow-principal User:worker --operation All \
    --topic somepulse --group somepulse --resource-pattern-type prefixed
acl --add --allow-principal User:collector --operation Write --operation Describe \
    --topic "$EVENTS_TOPIC"
acl --add --allow-principal User:collector --operation IdempotentWrite --cluster
echo "somepulse: ACLs in place" > "$CONF/ready"
wait $broker
