# Ruby's redis gem (Debian's ruby-redis) against terndb: commands, pipelining, database
# selection from a URL and password authentication.
require "minitest/autorun"
require "redis"
require "socket"
require "tmpdir"
require "fileutils"

require_relative "terndb_process"

SERVERS = []
begin
  SERVERS << (SERVER = TerndbProcess.new)
  SERVERS << (AUTH_SERVER = TerndbProcess.new("--requirepass", "ruby-secret"))
rescue StandardError
  SERVERS.each(&:stop)  # no test will run: do not leave the first server behind
  raise
end
Minitest.after_run { SERVERS.each(&:stop) }

class RubyClientTest < Minitest::Test
  def setup
    @redis = Redis.new(host: "127.0.0.1", port: SERVER.port)
    @redis.flushall
  end

  def teardown
    @redis.close
    assert SERVER.alive?, SERVER.log
  end

  def test_set_get_incr
    assert_equal "OK", @redis.set("greeting", "hello")
    assert_equal "hello", @redis.get("greeting")
    assert_nil @redis.get("missing")
    assert_equal 1, @redis.incr("counter")
    assert_equal 11, @redis.incrby("counter", 10)
    assert_equal 10, @redis.decr("counter")
    assert_equal 9, @redis.append("greeting", " you")
    assert_equal "hello ", @redis.getrange("greeting", 0, 5)
    assert_equal 1.5, @redis.incrbyfloat("float", 1.5)
    error = assert_raises(Redis::CommandError) { @redis.incr("greeting") }
    assert_equal "ERR value is not an integer or out of range", error.message
  end

  def test_set_options_and_expire
    assert_equal false, @redis.set("k", "v", xx: true)
    assert_equal true, @redis.set("k", "v", nx: true)
    assert_equal true, @redis.expire("k", 100)
    assert_equal 100, @redis.ttl("k")
    assert_equal false, @redis.expire("missing", 100)
    assert_equal "OK", @redis.set("short", "v", px: 100)
    sleep 0.25
    assert_nil @redis.get("short")
    assert_equal(-2, @redis.ttl("short"))
  end

  def test_mset_mget
    assert_equal "OK", @redis.mset("a", "1", "b", "2")
    assert_equal ["1", "2", nil], @redis.mget("a", "b", "c")
    assert_equal({ "a" => "1", "c" => nil }, @redis.mapped_mget("a", "c"))
    assert_equal false, @redis.msetnx("a", "x", "d", "4")
    assert_nil @redis.get("d")
  end

  def test_pipelined
    results = @redis.pipelined do |pipe|
      500.times { |i| pipe.set("p#{i}", i.to_s) }
      pipe.incr("p7")
      pipe.get("p7")
      pipe.mget("p0", "p499", "nothing")
      pipe.dbsize
    end
    assert_equal ["OK"] * 500, results[0, 500]
    assert_equal [8, "8", ["0", "499", nil], 500], results[500..]
  end

  def test_url_selects_database
    db2 = Redis.new(url: "redis://127.0.0.1:#{SERVER.port}/2")
    assert_equal "OK", db2.set("in-two", "yes")
    assert_equal 1, db2.dbsize
    assert_nil @redis.get("in-two")
    assert_equal 0, @redis.dbsize
    other = Redis.new(host: "127.0.0.1", port: SERVER.port, db: 2)
    assert_equal "yes", other.get("in-two")
    assert_equal "OK", @redis.select(2)
    assert_equal "yes", @redis.get("in-two")
    other.close
    db2.close
  end

  def test_binary_values
    blob = (0..255).map(&:chr).join.b * 3
    @redis.set("bin", blob)
    assert_equal blob, @redis.get("bin").b
  end
end

class RubyAuthTest < Minitest::Test
  def teardown
    assert AUTH_SERVER.alive?, AUTH_SERVER.log
  end

  def test_password
    redis = Redis.new(host: "127.0.0.1", port: AUTH_SERVER.port, password: "ruby-secret")
    assert_equal "PONG", redis.ping
    assert_equal "OK", redis.set("k", "v")
    assert_equal "v", redis.get("k")
    redis.close
  end

  def test_password_in_url_with_database
    redis = Redis.new(url: "redis://:ruby-secret@127.0.0.1:#{AUTH_SERVER.port}/3")
    redis.set("in-three", "1")
    assert_equal 1, redis.dbsize
    redis.close
  end

  def test_wrong_or_missing_password
    wrong = Redis.new(host: "127.0.0.1", port: AUTH_SERVER.port, password: "nope")
    error = assert_raises(Redis::CommandError) { wrong.ping }
    assert_equal "WRONGPASS invalid username-password pair or user is disabled.", error.message
    none = Redis.new(host: "127.0.0.1", port: AUTH_SERVER.port)
    error = assert_raises(Redis::CommandError) { none.get("k") }
    assert_equal "NOAUTH Authentication required.", error.message
  end
end
