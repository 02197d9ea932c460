package dev.trustbridge.ca.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A table of left-aligned columns for list commands, and the cell formats they share. */
final class TextTable {
  private static final int MAX_CELL = 60;

  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  TextTable(String... headers) {
    this.columns = headers.length;
    rows.add(headers.clone());
  }

  TextTable row(String... cells) {
    if (cells.length != columns) {
      throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
    }
    String[] row = new String[columns];
    for (int i = 0; i < columns; i++) {
      row[i] = shorten(cells[i]);
    }
    rows.add(row);
    return this;
  }

  void print(PrintWriter out) {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row[i].length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  /** Epoch seconds as an ISO-8601 instant; 0 (unset in proto3) as "-". */
  static String time(long epochSeconds) {
    return epochSeconds == 0 ? "-" : Instant.ofEpochSecond(epochSeconds).toString();
  }

  /** An empty string as "-", so that columns stay readable. */
  static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }

  static String yesNo(boolean value) {
    return value ? "yes" : "no";
  }

  // Errors from peers can be long (TLS failures); tables show the start, "show" shows all.
  private static String shorten(String cell) {
    String oneLine = cell == null ? "" : cell.replaceAll("\\s+", " ");
    return oneLine.length() <= MAX_CELL ? oneLine : oneLine.substring(0, MAX_CELL - 3) + "...";
  }
}
