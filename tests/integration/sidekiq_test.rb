# Sidekiq (Debian's ruby-sidekiq) end to end: a real `sidekiq` process against terndb runs
# 10,000 jobs pushed by this process, each exactly once; a perform_in job runs after its
# delay; a failing job lands in the retry set; Sidekiq::Stats and Sidekiq::Queue agree.
# ctest-label: slow
require "minitest/autorun"
require "sidekiq"
require "sidekiq/api"
require "tmpdir"
require "fileutils"
require_relative "terndb_process"

# Sidekiq 6.4 ignores SADD's result; keep redis-rb 4.8 from warning about it on each push.
Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

JOB_FILE = <<~RUBY
  require "sidekiq"
  Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)
  Sidekiq.configure_server do |config|
    config.redis = { url: ENV.fetch("REDIS_URL") }
    # Look for due scheduled jobs about once a second instead of every ~5 s.
    config.options[:average_scheduled_poll_interval] = 1
  end

  class CountJob
    include Sidekiq::Worker
    sidekiq_options retry: false
    def perform(i)
      Sidekiq.redis do |r|
        r.sadd("test:done", i.to_s)
        r.incr("test:runs")
      end
    end
  end

  class LaterJob
    include Sidekiq::Worker
    def perform(stamp)
      Sidekiq.redis { |r| r.set("test:later_ran_at", Time.now.to_f.to_s) }
    end
  end

  class FailingJob
    include Sidekiq::Worker
    sidekiq_options retry: 5
    # Keep the retry in the retry set for the whole test.
    sidekiq_retry_in { |_count, _error| 3600 }
    def perform
      raise "intentional failure"
    end
  end
RUBY

class SidekiqEndToEndTest < Minitest::Test
  def setup
    @server = TerndbProcess.new
    @dir = Dir.mktmpdir("terndb-sidekiq-")
    @job_file = File.join(@dir, "jobs.rb")
    File.write(@job_file, JOB_FILE)
    @url = "redis://127.0.0.1:#{@server.port}/1"
    Sidekiq.configure_client { |config| config.redis = { url: @url } }
    load @job_file
    @redis = Redis.new(url: @url)
  end

  def teardown
    stop_sidekiq
    @redis&.close
    @server&.stop
    FileUtils.rm_rf(@dir) if @dir
  end

  def start_sidekiq
    @sidekiq_log = File.join(@dir, "sidekiq.log")
    @sidekiq_pid = Process.spawn({ "REDIS_URL" => @url },
                                 "sidekiq", "-r", @job_file, "-c", "10", "-t", "2",
                                 out: @sidekiq_log, err: [:child, :out])
  end

  def stop_sidekiq
    return unless @sidekiq_pid

    begin
      Process.kill("TERM", @sidekiq_pid)
      Timeout.timeout(15) { Process.wait(@sidekiq_pid) }
    rescue Errno::ESRCH, Errno::ECHILD
      nil
    rescue Timeout::Error
      Process.kill("KILL", @sidekiq_pid)
      Process.wait(@sidekiq_pid)
    end
    @sidekiq_pid = nil
  end

  def wait_for(seconds, what)
    deadline = Time.now + seconds
    until yield
      if Time.now > deadline
        log = @sidekiq_log && File.exist?(@sidekiq_log) ? File.read(@sidekiq_log)[-4000..] : ""
        flunk("timed out waiting for #{what}\nsidekiq log tail:\n#{log}\nserver log:\n#{@server.log[-2000..]}")
      end
      sleep 0.2
    end
  end

  def test_jobs_run_exactly_once_with_schedule_retries_and_stats
    jobs = 10_000
    # Bulk pushes, as a Rails app enqueuing in batches would.
    (0...jobs).each_slice(1000) do |slice|
      Sidekiq::Client.push_bulk("class" => CountJob, "args" => slice.map { |i| [i] })
    end
    assert_equal jobs, Sidekiq::Queue.new("default").size

    scheduled_at = Time.now.to_f
    LaterJob.perform_in(2, scheduled_at)
    assert_equal 1, Sidekiq::ScheduledSet.new.size
    FailingJob.perform_async

    start_sidekiq
    wait_for(240, "#{jobs} jobs") { @redis.get("test:runs").to_i >= jobs + 0 && @redis.scard("test:done") == jobs }
    wait_for(30, "the scheduled job") { @redis.get("test:later_ran_at") }
    wait_for(30, "the failing job in the retry set") { Sidekiq::RetrySet.new.size == 1 }

    # Exactly once: as many runs as distinct job arguments.
    sleep 1
    assert_equal jobs, @redis.get("test:runs").to_i
    assert_equal jobs, @redis.scard("test:done")
    assert_operator @redis.get("test:later_ran_at").to_f, :>=, scheduled_at + 2

    retry_job = Sidekiq::RetrySet.new.first
    assert_equal "FailingJob", retry_job.klass
    assert_match(/intentional failure/, retry_job["error_message"])

    # Sidekiq counts every job it ran, failed ones included, and flushes its counters with
    # each heartbeat.
    wait_for(20, "stats to settle") { Sidekiq::Stats.new.processed >= jobs + 2 }
    stats = Sidekiq::Stats.new
    assert_equal jobs + 2, stats.processed, "CountJob runs, LaterJob and the failed run"
    assert_equal 1, stats.failed
    assert_equal 0, Sidekiq::Queue.new("default").size
    assert_equal 0, stats.scheduled_size
    assert_equal 1, stats.retry_size
    assert_operator Sidekiq::ProcessSet.new.size, :>=, 1
  end
end
