namespace Checkpointing;

// Facts the transitions derive from the stage lists and records, cached per state.
public sealed partial record PipelineCheckpoint
{
    /// <summary>
    /// Facts derived from the stage lists and records, computed once and carried from state to state so that a save is
    /// not O(stages). They follow from the state, so they take no part in the record's equality: every instance equals
    /// every other. Setting a list or the records replaces the instance; a copy made by <c>with</c> that changes neither
    /// shares it, and whatever either computes holds for both.
    /// </summary>
    private sealed class DerivedFacts : IEquatable<DerivedFacts>
    {
        public const int Unknown = 0, Yes = 1, No = 2;

        /// <summary>Sum of the durations of completed stages in ticks, or -1 until computed.</summary>
        public long CompletedTicks = -1;

        /// <summary>Whether every stage named in the status lists has a record: <see cref="Unknown"/> until computed.</summary>
        public int ListedStagesRecorded = Unknown;

        /// <summary>Returns a copy with one fact set.</summary>
        public DerivedFacts With(long? completedTicks = null, int? listedStagesRecorded = null) => new()
        {
            CompletedTicks = completedTicks ?? Volatile.Read(ref CompletedTicks),
            ListedStagesRecorded = listedStagesRecorded ?? Volatile.Read(ref ListedStagesRecorded),
        };

        public bool Equals(DerivedFacts? other) => other is not null;

        public override bool Equals(object? obj) => obj is DerivedFacts;

        public override int GetHashCode() => 0;
    }
}
