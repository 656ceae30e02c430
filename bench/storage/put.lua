-- wrk script: PUT bodies of BODY_SIZE bytes (env) to fresh fid-like paths, like MogileFS
-- uploads: /dev1/b<thread>/<NNN>/<counter>.fid, 1000 files per leaf directory.
local size = tonumber(os.getenv("BODY_SIZE") or "1024")
local prefix = os.getenv("PUT_PREFIX") or "/dev1/bench"
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  counter = 0
  wrk.method = "PUT"
  wrk.body = string.rep("x", size)
  wrk.headers["Content-Length"] = tostring(size)
end

function request()
  counter = counter + 1
  local path = string.format("%s/t%d/%03d/%010d.fid", prefix, tid, math.floor(counter / 1000) % 1000, counter)
  return wrk.format("PUT", path)
end

done = nil
