using FluentAssertions;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// The claim query and its partial index select resumable runs in SQL; the set is defined once, by
/// <see cref="CheckpointStatusExtensions.IsResumable"/>, and this pins the SQL text to it (no server needed).
/// </summary>
public sealed class ResumableStatusesTests
{
    [Fact]
    public void ResumableStatusesInSql_AreTheCoreResumableSet_InTheStoredSpelling()
    {
        var expected = "(" + string.Join(
            ", ",
            Enum.GetValues<CheckpointStatus>().Where(status => status.IsResumable()).Select(status => $"'{CheckpointJson.StatusName(status)}'")) + ")";

        PostgreSqlSchema.ResumableStatuses.Should().Be(expected);
    }
}
