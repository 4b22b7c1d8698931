# ActionCable's Redis subscription adapter (Debian's ruby-actioncable, with the redis gem
# underneath) against terndb: it subscribes, receives broadcasts, unsubscribes and shuts
# down; and a broadcast fanned out to 10 adapters over 20 channels reaches every adapter
# exactly once per message, in order. The adapters run with a minimal ActionCable server
# configuration, as an application's cable.yml would give them.
require "minitest/autorun"
require "action_cable"
require "action_cable/subscription_adapter/redis"
require "active_support/core_ext/hash/indifferent_access"
require "active_support/core_ext/string/inflections"
require "concurrent"
require "json"
require "logger"
require "redis"
require "stringio"
require "timeout"

require_relative "terndb_process"

SERVER = TerndbProcess.new
Minitest.after_run { SERVER.stop }

# The adapter hands each message to a thread pool, so callbacks may run out of order even
# when the messages arrived in order. The order the server sent them in is what the
# listener thread sees; record it there, per adapter.
WIRE_LOG = Hash.new { |h, k| h[k] = [] }
WIRE_LOCK = Mutex.new
module RecordWireOrder
  def broadcast(channel, message)
    WIRE_LOCK.synchronize { WIRE_LOG[@adapter] << [channel, message] }
    super
  end
end
ActionCable::SubscriptionAdapter::Redis::Listener.prepend(RecordWireOrder)

class ActionCableRedisAdapterTest < Minitest::Test
  WAIT = 10

  def setup
    @adapters = []
    @redis = Redis.new(host: "127.0.0.1", port: SERVER.port)
  end

  def teardown
    # shutdown unsubscribes from everything and waits for the listener thread to see its
    # subscription count reach 0.
    @adapters.each(&:shutdown)
    @redis.close
    assert SERVER.alive?, SERVER.log
  end

  # An ActionCable server of its own per adapter, like separate application processes.
  def new_adapter
    server = ActionCable::Server::Base.new(config: ActionCable::Server::Configuration.new)
    server.config.cable = { adapter: "redis", url: "redis://127.0.0.1:#{SERVER.port}" }
                          .with_indifferent_access
    server.config.logger = Logger.new(StringIO.new).tap { |l| l.level = Logger::UNKNOWN }
    adapter = server.config.pubsub_adapter.new(server)
    @adapters << adapter
    adapter
  end

  def subscribe(adapter, channel, &callback)
    confirmed = Concurrent::Event.new
    adapter.subscribe(channel, callback, -> { confirmed.set })
    assert confirmed.wait(WAIT), "subscription to #{channel} was not confirmed"
    callback
  end

  def numsub(channel)
    @redis.pubsub(:numsub, channel)[1].to_i
  end

  def wait_until(what)
    deadline = Time.now + WAIT
    sleep 0.01 until yield || Time.now > deadline
    assert yield, "timed out waiting for #{what}"
  end

  def pop(queue)
    Timeout.timeout(WAIT) { queue.pop }
  end

  def test_subscribe_broadcast_unsubscribe
    rx = new_adapter
    tx = new_adapter
    queue = Queue.new
    callback = subscribe(rx, "chat") { |message| queue << message }
    assert_equal 1, numsub("chat")

    assert_equal 1, tx.broadcast("chat", "hello")
    assert_equal "hello", pop(queue)
    assert_equal 0, tx.broadcast("elsewhere", "not for us")
    tx.broadcast("chat", { "text" => "json", "n" => 2 }.to_json)
    assert_equal({ "text" => "json", "n" => 2 }, JSON.parse(pop(queue)))

    # A second channel on the same listener connection.
    other = Queue.new
    subscribe(rx, "news") { |message| other << message }
    tx.broadcast("news", "headline")
    assert_equal "headline", pop(other)

    rx.unsubscribe("chat", callback)
    wait_until("the unsubscribe") { numsub("chat").zero? }
    assert_equal 0, tx.broadcast("chat", "after unsubscribe")
    sleep 0.2
    assert queue.empty?, "a message arrived after unsubscribe"
    assert_equal 1, numsub("news")
  end

  def test_fan_out_to_10_adapters_over_20_channels
    channels = (0...20).map { |i| "room:#{i}" }
    rounds = 50
    received = Array.new(10) { Hash.new { |h, k| h[k] = [] } }
    locks = Array.new(10) { Mutex.new }
    receivers = (0...10).map { new_adapter }
    receivers.each_with_index do |adapter, a|
      channels.each do |channel|
        subscribe(adapter, channel) do |message|
          locks[a].synchronize { received[a][channel] << message }
        end
      end
    end
    channels.each { |channel| assert_equal 10, numsub(channel) }

    tx = new_adapter
    rounds.times do |round|
      channels.each do |channel|
        assert_equal 10, tx.broadcast(channel, "#{channel}/#{round}")
      end
    end

    total = channels.size * rounds
    wait_until("all deliveries") do
      received.each_with_index.all? do |by_channel, a|
        locks[a].synchronize { by_channel.values.sum(&:size) >= total }
      end
    end
    sleep 0.2 # anything extra (a duplicate) would arrive by now
    expected = channels.to_h { |channel| [channel, (0...rounds).map { |r| "#{channel}/#{r}" }] }
    receivers.each_with_index do |adapter, a|
      # Each callback ran exactly once per message...
      locks[a].synchronize do
        channels.each do |channel|
          assert_equal expected[channel],
                       received[a][channel].sort_by { |m| m.split("/")[1].to_i },
                       "adapter #{a}, #{channel}"
        end
        assert_equal channels.sort, received[a].keys.sort
      end
      # ...and the messages reached the adapter in the order they were broadcast.
      wire = WIRE_LOCK.synchronize { WIRE_LOG[adapter].dup }
      assert_equal (0...rounds).flat_map { |r| channels.map { |c| "#{c}/#{r}" } },
                   wire.map(&:last), "adapter #{a}: wire order"
      assert(wire.all? { |c, m| m.start_with?("#{c}/") }, "adapter #{a}: channel names")
    end
  end
end
