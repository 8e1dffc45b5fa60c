using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace Checkpointing.Models;

/// <summary>
/// An immutable map of stage name to stage record that keeps the order in which stages were first recorded,
/// so files are written in pipeline order. Replacing or adding a stage costs O(log n), not a copy.
/// </summary>
internal sealed class StageCheckpointMap : IReadOnlyDictionary<string, StageCheckpoint>
{
    private readonly ImmutableDictionary<string, int> _indexByName;
    private readonly ImmutableList<StageCheckpoint> _stages;

    private StageCheckpointMap(ImmutableDictionary<string, int> indexByName, ImmutableList<StageCheckpoint> stages)
    {
        _indexByName = indexByName;
        _stages = stages;
    }

    /// <summary>Gets the empty map.</summary>
    public static StageCheckpointMap Empty { get; } =
        new(ImmutableDictionary.Create<string, int>(StringComparer.Ordinal), ImmutableList<StageCheckpoint>.Empty);

    /// <inheritdoc/>
    public int Count => _stages.Count;

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _stages.Select(stage => stage.StageName);

    /// <inheritdoc/>
    public IEnumerable<StageCheckpoint> Values => _stages;

    /// <inheritdoc/>
    public StageCheckpoint this[string key] => _stages[_indexByName[key]];

    /// <summary>Returns a map with <paramref name="stage"/> added, or replacing the record of the same name in place.</summary>
    public StageCheckpointMap SetItem(StageCheckpoint stage) =>
        _indexByName.TryGetValue(stage.StageName, out var index)
            ? new StageCheckpointMap(_indexByName, _stages.SetItem(index, stage))
            : new StageCheckpointMap(_indexByName.Add(stage.StageName, _stages.Count), _stages.Add(stage));

    /// <summary>Builds a map from records in order; a later record of the same name replaces an earlier one.</summary>
    public static StageCheckpointMap From(IEnumerable<StageCheckpoint> stages) =>
        stages.Aggregate(Empty, static (map, stage) => map.SetItem(stage));

    /// <summary>Returns <paramref name="stages"/> as a map, reusing it when it already is one.</summary>
    public static StageCheckpointMap From(IReadOnlyDictionary<string, StageCheckpoint> stages) =>
        stages as StageCheckpointMap ?? From(stages.Values);

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _indexByName.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out StageCheckpoint value)
    {
        if (_indexByName.TryGetValue(key, out var index))
        {
            value = _stages[index];
            return true;
        }

        value = null;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, StageCheckpoint>> GetEnumerator() =>
        _stages.Select(stage => new KeyValuePair<string, StageCheckpoint>(stage.StageName, stage)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
