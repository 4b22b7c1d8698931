# What Kredis does with Ruby's redis gem (Debian's ruby-redis): counters, lists, unique
# lists, sets, hashes, flags with expiry, and the Lua script Sidekiq's scheduler sends to
# pop due members of a sorted set (SCRIPT LOAD, then EVALSHA, retried after NOSCRIPT).
require "minitest/autorun"
require "redis"
require_relative "terndb_process"

Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

# Pops every member of `KEYS[1]` scored at most ARGV[1], pushing each onto the list named
# by the member's prefix, as Sidekiq's scheduled-job poller does.
ZPOPBYSCORE = <<~LUA
  local key, now = KEYS[1], ARGV[1]
  local jobs = redis.call("zrangebyscore", key, "-inf", now, "limit", 0, 100)
  for _, job in ipairs(jobs) do
    redis.call("zrem", key, job)
    redis.call("lpush", "queue:due", job)
  end
  return #jobs
LUA

class KredisStyleTest < Minitest::Test
  def setup
    @server = TerndbProcess.new
    @redis = Redis.new(url: "redis://127.0.0.1:#{@server.port}/0")
  end

  def teardown
    @redis&.close
    @server&.stop
  end

  def test_counter_with_expiry
    3.times { @redis.incrby("counter", 2) }
    @redis.expire("counter", 100)
    assert_equal 6, @redis.get("counter").to_i
    assert_includes 99..100, @redis.ttl("counter")
    @redis.decrby("counter", 1)
    assert_equal "5", @redis.get("counter")
  end

  def test_list_and_unique_list
    @redis.rpush("list", %w[a b c])
    @redis.lpush("list", "z")
    assert_equal %w[z a b c], @redis.lrange("list", 0, -1)
    # Kredis's unique list: LREM then RPUSH inside MULTI, LTRIM to a limit.
    @redis.multi do |tx|
      tx.lrem("ulist", 0, "x")
      tx.rpush("ulist", "x")
      tx.lrem("ulist", 0, "y")
      tx.rpush("ulist", "y")
      tx.lrem("ulist", 0, "x")
      tx.rpush("ulist", "x")
      tx.ltrim("ulist", -10, -1)
    end
    assert_equal %w[y x], @redis.lrange("ulist", 0, -1)
  end

  def test_set_and_hash
    @redis.sadd("set", %w[a b c a])
    assert_equal %w[a b c], @redis.smembers("set").sort
    assert @redis.sismember("set", "b")
    @redis.srem("set", "b")
    assert_equal 2, @redis.scard("set")
    @redis.hset("hash", "name", "terndb", "kind", "kv")
    assert_equal({ "name" => "terndb", "kind" => "kv" }, @redis.hgetall("hash"))
    @redis.hdel("hash", "kind")
    assert_equal ["terndb", nil], @redis.hmget("hash", "name", "kind")
  end

  def test_flag_with_expiry
    assert @redis.set("flag", "1", px: 300, nx: true)
    refute @redis.set("flag", "1", px: 300, nx: true)
    assert_equal 1, @redis.exists("flag")
    sleep 0.5
    assert_equal 0, @redis.exists("flag")
  end

  def test_scheduler_script_pops_due_members
    now = Time.now.to_f
    @redis.zadd("schedule", [[now - 10, "job1"], [now - 5, "job2"], [now + 100, "job3"]])
    sha = @redis.script(:load, ZPOPBYSCORE)
    assert_equal 2, @redis.evalsha(sha, keys: ["schedule"], argv: [now.to_s])
    assert_equal ["job3"], @redis.zrange("schedule", 0, -1)
    assert_equal %w[job2 job1], @redis.lrange("queue:due", 0, -1)

    # After SCRIPT FLUSH the client gets NOSCRIPT and loads the script again.
    @redis.script(:flush)
    error = assert_raises(Redis::CommandError) { @redis.evalsha(sha, keys: ["schedule"], argv: [(now + 200).to_s]) }
    assert_match(/\ANOSCRIPT/, error.message)
    assert_equal sha, @redis.script(:load, ZPOPBYSCORE)
    assert_equal 1, @redis.evalsha(sha, keys: ["schedule"], argv: [(now + 200).to_s])
    assert_equal 0, @redis.zcard("schedule")
  end
end
