package dev.trustbridge.ca.config;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.DuplicateKeyException;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Loads YAML text with snakeyaml-engine's defaults: YAML 1.2 JSON schema (only {@code true}, {@code
 * false} and {@code null} are special), no arbitrary classes, duplicate keys rejected, alias
 * expansion bounded. Syntax errors become a {@link ConfigException} with the line and column.
 */
final class YamlDocument {
  private static final LoadSettings SETTINGS = LoadSettings.builder().setLabel("config").build();
  private static final int MAX_DEPTH = 64;

  private YamlDocument() {}

  /** The loaded document: maps, lists, strings, numbers, booleans and nulls. */
  static Object load(String text) {
    try {
      checkShape(text);
      return new Load(SETTINGS).loadFromString(text);
    } catch (DuplicateKeyException e) {
      throw new ConfigException(duplicateKeyProblem(text, e));
    } catch (YamlEngineException e) {
      throw new ConfigException("yaml: " + describe(e));
    }
  }

  /**
   * Rejects, before anything is built, what the loader would overflow its stack on: very deep
   * nesting, and collections or aliases used as keys (a self-referencing list as a key recurses
   * forever in {@code hashCode}). Configuration keys are plain scalars anyway. The event stream is
   * produced without recursion, so this check itself cannot overflow.
   */
  private static void checkShape(String text) {
    Deque<Frame> open = new ArrayDeque<>();
    for (Event event : new Parse(SETTINGS).parseString(text)) {
      Event.ID id = event.getEventId();
      Frame parent = open.peek();
      boolean isKey = parent != null && parent.mapping && parent.expectKey;
      boolean isNode =
          id == Event.ID.Scalar
              || id == Event.ID.Alias
              || id == Event.ID.MappingStart
              || id == Event.ID.SequenceStart;
      if (isKey && id != Event.ID.Scalar && isNode) {
        throw new ConfigException("yaml: keys must be plain scalars" + at(event));
      }
      if (isNode && parent != null && parent.mapping) {
        parent.expectKey = !parent.expectKey;
      }
      if (id == Event.ID.MappingStart || id == Event.ID.SequenceStart) {
        if (open.size() == MAX_DEPTH) {
          throw new ConfigException("yaml: nested more than " + MAX_DEPTH + " levels" + at(event));
        }
        open.push(new Frame(id == Event.ID.MappingStart));
      } else if (id == Event.ID.MappingEnd || id == Event.ID.SequenceEnd) {
        open.pop();
      }
    }
  }

  /** An open mapping or sequence while scanning events. */
  private static final class Frame {
    final boolean mapping;
    boolean expectKey = true;

    Frame(boolean mapping) {
      this.mapping = mapping;
    }
  }

  private static String at(Event event) {
    return event.getStartMark().map(YamlDocument::where).orElse("");
  }

  private static String describe(YamlEngineException e) {
    if (e instanceof MarkedYamlEngineException marked) {
      return marked.getProblem() + marked.getProblemMark().map(YamlDocument::where).orElse("");
    }
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static String where(Mark mark) {
    return " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")";
  }

  /**
   * Names the duplicate key by its dotted path. The loader only knows the line, so the document is
   * composed again (the composer does not check duplicates) and searched for the key at that mark.
   */
  private static String duplicateKeyProblem(String text, DuplicateKeyException e) {
    Optional<Mark> mark = e.getProblemMark();
    try {
      Optional<Node> root = new Compose(SETTINGS).composeString(text);
      if (root.isPresent() && mark.isPresent()) {
        String path = find(root.get(), "", mark.get(), new IdentityHashMap<>());
        if (path != null) {
          return path + ": duplicate key" + where(mark.get());
        }
      }
    } catch (YamlEngineException ignored) {
      // Fall through to the loader's own description.
    }
    return "yaml: " + describe(e);
  }

  private static String find(Node node, String path, Mark mark, Map<Node, Boolean> visited) {
    if (visited.put(node, Boolean.TRUE) != null) {
      return null; // an alias to a node already searched
    }
    if (node instanceof SequenceNode sequence) {
      List<Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        String found = find(items.get(i), path + "[" + i + "]", mark, visited);
        if (found != null) {
          return found;
        }
      }
    } else if (node instanceof MappingNode mapping) {
      Set<String> seen = new HashSet<>();
      for (NodeTuple tuple : mapping.getValue()) {
        if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
          continue;
        }
        String keyPath = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
        if (!seen.add(key.getValue()) && sameLine(key, mark)) {
          return keyPath;
        }
        String found = find(tuple.getValueNode(), keyPath, mark, visited);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static boolean sameLine(Node key, Mark mark) {
    return key.getStartMark()
        .map(m -> m.getLine() == mark.getLine() && m.getColumn() == mark.getColumn())
        .orElse(false);
  }
}
