using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>copy moves runs between any two stores, version and content preserved, and never overwrites unless asked.</summary>
public sealed class CopyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Copy_FileToSqliteToPostgresToFile_ExportIsByteIdenticalToTheOriginals()
    {
        var original = Directory.CreateDirectory(_dir.Combine("original")).FullName;
        Fixtures.CopyTo(original);
        var live = TestStore.FileAt(original);
        await live.WithAsync(r => WriteCommandTests.RecordRunAsync(r, "library-run", completed: false));
        var cards = Fixtures.CardIds.Append("library-run").ToArray();
        var sqlite = TestStore.Sqlite(_dir);
        var postgres = await TestStore.PostgresAsync();
        var back = "file:" + _dir.Combine("back");

        foreach (var (from, to) in new[] { ("file:" + original, sqlite.Spec), (sqlite.Spec, postgres.Spec), (postgres.Spec, back) })
        {
            var copy = await ToolProcess.RunAsync(["copy", "--all", "--store", from, "--to", to]);
            copy.ExitCode.Should().Be(0, copy.ToString());
            copy.Stdout.Should().Contain($"{cards.Length} of {cards.Length} cards copied");
        }

        foreach (var card in cards)
        {
            var before = await ToolProcess.RunAsync("export", card, "--store", "file:" + original);
            var after = await ToolProcess.RunAsync("export", card, "--store", back);
            before.ExitCode.Should().Be(0, before.ToString());
            after.Stdout.Should().Be(before.Stdout, $"card {card} came back through SQLite and PostgreSQL unchanged");
            var inPostgres = (await postgres.WithAsync(r => r.LoadAsync(card)))!;
            var inFile = (await live.WithAsync(r => r.LoadAsync(card)))!;
            inPostgres.Version.Should().Be(inFile.Version, "the version is preserved");
        }
    }

    [Fact]
    public async Task Copy_IntoAStoreThatHasTheCard_IsRefusedUnlessOverwrite()
    {
        var source = Directory.CreateDirectory(_dir.Combine("source")).FullName;
        Fixtures.CopyTo(source);
        var target = TestStore.Sqlite(_dir);
        (await ToolProcess.RunAsync("copy", "card-failed", "--store", "file:" + source, "--to", target.Spec)).ExitCode.Should().Be(0);
        await ToolProcess.RunAsync("rewind", "card-failed", "--from", "requirements", "--store", target.Spec);
        var changed = CheckpointJson.SerializeCheckpoint((await target.WithAsync(r => r.LoadAsync("card-failed")))!);

        var refused = await ToolProcess.RunAsync("copy", "card-failed", "card-fresh", "--store", "file:" + source, "--to", target.Spec);
        var kept = CheckpointJson.SerializeCheckpoint((await target.WithAsync(r => r.LoadAsync("card-failed")))!);
        var overwritten = await ToolProcess.RunAsync("copy", "card-failed", "--overwrite", "--store", "file:" + source, "--to", target.Spec);

        refused.ExitCode.Should().Be(1, refused.ToString());
        refused.ErrorLines.Should().ContainSingle().Which.Should().Contain("'card-failed' not copied").And.Contain("--overwrite");
        refused.Stdout.Should().Contain("copied 'card-fresh'", "the other card is copied all the same");
        kept.Should().Equal(changed, "a refused copy changes nothing");
        overwritten.ExitCode.Should().Be(0, overwritten.ToString());
        var restored = (await target.WithAsync(r => r.LoadAsync("card-failed")))!;
        restored.Version.Should().Be(0, "the Python file's run, version 0, replaced the rewound one");
        restored.Status.Should().Be(CheckpointStatus.Failed);
    }

    [Fact]
    public async Task Copy_WithoutCardsOrAll_IsAUsageError()
    {
        var result = await ToolProcess.RunAsync("copy", "--store", ("file:" + _dir.Path), "--to", "sqlite:" + _dir.Combine("x.db"));

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("--all");
    }
}
