# Shared by the Ruby integration tests: starts terndb-server like harness.py does.
require "socket"
require "tmpdir"
require "fileutils"

# A terndb-server on a free loopback port, started from ENV["TERNDB_SERVER"] and stopped
# by PID when the run ends.
class TerndbProcess
  attr_reader :port

  def initialize(*options)
    binary = ENV["TERNDB_SERVER"] ||
             File.expand_path("../../build/terndb-server", __dir__)
    raise "terndb-server not found at #{binary}" unless File.executable?(binary)

    @dir = Dir.mktmpdir("terndb-rb-")
    @port = free_port
    @log = File.join(@dir, "server.log")
    argv = [binary, "--port", @port.to_s, "--bind", "127.0.0.1", "--dir", @dir, "--save", ""]
    # TERNDB_SERVER may name redis-server to check a test itself against Redis.
    argv += ["--server-threads", "2"] unless File.basename(binary) == "redis-server"
    argv += flash_options
    argv += options
    @pid = Process.spawn(*argv, out: @log, err: [:child, :out])
    wait_ready(sanitizer_build?(binary) ? 60 : 10)
  end

  def stop
    return unless @pid

    begin
      Process.kill("TERM", @pid)
      Process.wait(@pid)
    rescue Errno::ESRCH, Errno::ECHILD
      nil
    end
    @pid = nil
    FileUtils.rm_rf(@dir)
  end

  def alive?
    return false unless @pid

    Process.waitpid(@pid, Process::WNOHANG).nil?
  end

  def log
    File.exist?(@log) ? File.read(@log) : ""
  end

  private

  # TERNDB_FLASH=<maxmemory> runs the server with flash storage in its directory and that
  # maxmemory under allkeys-lru (keys move to flash and back); TERNDB_FLASH=1 with flash only.
  def flash_options
    setting = ENV["TERNDB_FLASH"].to_s
    return [] if setting.empty?

    opts = ["--storage-provider", "flash", File.join(@dir, "flash")]
    opts += ["--maxmemory", setting, "--maxmemory-policy", "allkeys-lru"] unless setting == "1"
    opts
  end

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    port
  end

  # ASan and TSan builds start several times slower (a new flash store takes seconds).
  def sanitizer_build?(binary)
    libs = IO.popen(["ldd", binary], err: File::NULL, &:read)
    libs.include?("libasan") || libs.include?("libtsan")
  rescue SystemCallError
    false
  end

  # Ready once a raw PING gets an answer (PONG, or NOAUTH when a password is set).
  def wait_ready(seconds)
    deadline = Time.now + seconds
    while Time.now < deadline
      raise "terndb-server exited early:\n#{log}" unless alive?

      begin
        sock = TCPSocket.new("127.0.0.1", @port)
        sock.write("PING\r\n")
        line = sock.gets
        sock.close
        return if line&.start_with?("+PONG", "-NOAUTH")
      rescue SystemCallError
        nil
      end
      sleep 0.05
    end
    raise "terndb-server did not answer in time:\n#{log}"
  end
end
