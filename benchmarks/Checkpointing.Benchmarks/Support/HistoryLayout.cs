namespace Checkpointing.Benchmarks.Support;

/// <summary>Where a stored history's bytes are.</summary>
public enum HistoryLayout
{
    /// <summary>Compacted: everything in <c>&lt;card&gt;.json</c>, an empty journal.</summary>
    MostlySnapshot,

    /// <summary>Never compacted: a tiny snapshot and every stage in the journal.</summary>
    MostlyJournal,
}
