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
        var expected = Enum.GetValues<CheckpointStatus>().Where(status => status.IsResumable()).Select(status => $"'{CheckpointJson.StatusName(status)}'");

        // The order inside IN (...) means nothing to the query or the partial index; the migration that made the index
        // keeps its own text, so only the set is pinned.
        var sql = PostgreSqlSchema.ResumableStatuses;
        sql.Should().StartWith("(").And.EndWith(")");
        sql[1..^1].Split(", ").Should().BeEquivalentTo(expected);
    }
}
