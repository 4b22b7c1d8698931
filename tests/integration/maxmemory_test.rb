# maxmemory as the Rails deployment uses it: a cache instance (ActiveSupport's
# RedisCacheStore, allkeys-lru, 100mb) that is written far past its limit, and a Sidekiq
# instance (noeviction) that must refuse a push rather than drop anything.
# ctest-label: slow
require "minitest/autorun"
require "securerandom"
require "active_support"
require "active_support/cache"
require "active_support/cache/redis_cache_store"
require "sidekiq"
require "sidekiq/api"
require_relative "terndb_process"

Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

def info(redis, section)
  redis.info(section)
end

class RailsCacheUnderMaxmemoryTest < Minitest::Test
  LIMIT = 100 * 1024 * 1024

  def setup
    @server = TerndbProcess.new("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru")
    @url = "redis://127.0.0.1:#{@server.port}/0"
  end

  def teardown
    @server&.stop
  end

  def test_writing_400mb_stays_under_the_limit
    cache = ActiveSupport::Cache::RedisCacheStore.new(url: @url, compress: false,
                                                      error_handler: lambda { |method:, returning:, exception:|
                                                        raise exception
                                                      })
    monitor = Redis.new(url: @url)
    samples = []
    stop = false
    sampler = Thread.new do
      until stop
        samples << monitor.info("memory")["used_memory"].to_i
        sleep 0.1
      end
    end
    payload = SecureRandom.random_bytes(8 * 1024)
    written = 0
    i = 0
    while written < 400 * 1024 * 1024
      # Each value differs so that nothing is shared or compressible.
      value = "#{i}:" + payload
      assert cache.write("page/#{i}", value, expires_in: 3600)
      written += value.bytesize
      i += 1
    end
    stop = true
    sampler.join
    stats = monitor.info("stats")
    assert_operator samples.size, :>, 10
    assert_operator samples.max, :<=, 105 * 1024 * 1024, "peak used_memory #{samples.max}"
    assert_operator stats["evicted_keys"].to_i, :>, 30_000
    # The newest entries are there and read back intact.
    assert_equal "#{i - 1}:" + payload, cache.read("page/#{i - 1}")
    assert_operator monitor.info("memory")["used_memory"].to_i, :<=, 105 * 1024 * 1024
    monitor.close
  end
end

class SidekiqUnderNoevictionTest < Minitest::Test
  class PushedJob
    include Sidekiq::Worker
    def perform(_n); end
  end

  def setup
    @server = TerndbProcess.new("--maxmemory-policy", "noeviction")
    @url = "redis://127.0.0.1:#{@server.port}/0"
    Sidekiq.configure_client { |config| config.redis = { url: @url, size: 1 } }
    @redis = Redis.new(url: @url)
  end

  def teardown
    @redis&.close
    @server&.stop
  end

  def snapshot
    @redis.keys("*").sort.to_h do |k|
      value = case @redis.type(k)
              when "string" then @redis.get(k)
              when "list" then @redis.lrange(k, 0, -1)
              when "set" then @redis.smembers(k).sort
              when "hash" then @redis.hgetall(k)
              else @redis.zrange(k, 0, -1, with_scores: true)
              end
      [k, value]
    end
  end

  def test_push_over_the_limit_is_refused_and_nothing_changes
    200.times { |n| Sidekiq::Client.push("class" => PushedJob, "args" => [n]) }
    @redis.set("payload", "x" * 1_000_000)
    used = @redis.info("memory")["used_memory"].to_i
    @redis.config(:set, "maxmemory", (used - 100_000).to_s)
    before = snapshot
    size = @redis.dbsize
    error = assert_raises(Redis::CommandError) do
      Sidekiq::Client.push("class" => PushedJob, "args" => ["over"])
    end
    assert_match(/OOM command not allowed when used memory > 'maxmemory'/, error.message)
    assert_equal size, @redis.dbsize
    assert_equal before, snapshot
    assert_equal 200, Sidekiq::Queue.new("default").size
    assert_equal "0", @redis.info("stats")["evicted_keys"]
  end
end
