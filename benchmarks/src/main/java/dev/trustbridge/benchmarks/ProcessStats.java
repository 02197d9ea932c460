package dev.trustbridge.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and memory of a Linux process, read from {@code /proc/<pid>/}. */
final class ProcessStats {
  private final long pid;
  private final long ticksPerSecond;

  ProcessStats(long pid) {
    this.pid = pid;
    this.ticksPerSecond = clockTicks();
  }

  long pid() {
    return pid;
  }

  /** utime + stime of the whole process (all threads), in nanoseconds. */
  long cpuNanos() {
    String stat = read("stat");
    // Field 2 (comm) is in parentheses and may hold spaces; count fields after the last ')'.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15
    return ticks * 1_000_000_000L / ticksPerSecond;
  }

  /** A {@code /proc/<pid>/status} value in kB, e.g. {@code VmRSS} or {@code VmHWM}. */
  long statusKb(String key) {
    for (String line : read("status").split("\n")) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no " + key + " in /proc/" + pid + "/status");
  }

  /** The 1, 5 and 15 minute load averages, as /proc/loadavg prints them. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private String read(String file) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read /proc/" + pid + "/" + file, e);
    }
  }

  private static long clockTicks() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
      String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      if (getconf.waitFor() == 0) {
        return Long.parseLong(out.trim());
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the Linux default
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
