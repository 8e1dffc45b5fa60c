using System.Text;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>Ids a store must either keep as distinct cards or refuse with <see cref="ArgumentException"/>; never mix up.</summary>
    private static readonly string[] HostileIds =
    [
        "../x", "..", ".", "...", "a/b", "a\\b", "/etc/passwd", "C:\\temp\\x", "~", "~41", "~~deadbeef", "%41", "A",
        "CON", "con", "NUL.txt", "COM1", "LPT9", "Card", "card", "x.json", "x.journal", "x.lock", "x.json.tmp",
        "café", "cafe\u0301", "İstanbul", "ﬁle", "日本語のカード", "مرحبا", "🚀", "🚀rocket-🧪", "👩‍💻",
        " leading space", "trailing space ", "inner  space", "\u00A0nbsp-prefixed", "a b", "a%20b", "a+b",
        "'; DROP TABLE checkpoints; --", "\"quoted\"", "<tag>&amp;", "%s%n%x", "{0}", "$HOME", "*", "?",
        new string('x', 1000), new string('x', 999) + "y", new string('é', 1000), string.Concat(Enumerable.Repeat("🚀", 300)),
        "\uD800lone-high-surrogate", "lone-low-surrogate\uDC00",
    ];

    /// <summary>Ids that every operation must refuse with <see cref="ArgumentException"/>: empty, only white space, or with control characters.</summary>
    private static readonly string[] InvalidIds =
    [
        string.Empty, " ", "   ", "\t", "\n", "\r\n", "\u00A0", "\u2028", "\u3000", "a\u0000b", "line\nbreak", "tab\tbed", "\u007F", "bell\u0007", "x\u0085",
    ];

    /// <summary>
    /// Path-like, device-like, case-variant, Unicode-normalization-variant, very long, emoji and injection-like ids each
    /// round-trip as their own card (save, change, load, list, own, delete) or are refused with
    /// <see cref="ArgumentException"/>; an id that cannot be kept exactly (a lone surrogate) must be refused.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task HostileIds_RoundTripAsDistinctCards_OrAreRefused()
    {
        "café".Normalize(NormalizationForm.FormC).Should().NotBe("cafe\u0301", "the test needs NFC and NFD spellings");
        var repository = await OpenRepositoryAsync();
        var accepted = new List<(string Id, PipelineCheckpoint Checkpoint)>();
        var refused = new List<string>();
        for (var i = 0; i < HostileIds.Length; i++)
        {
            var id = HostileIds[i];
            try
            {
                await repository.DeleteAsync(id);
                var checkpoint = CheckpointSamples.Minimal(id) with { CheckpointId = $"checkpoint-{i}", TotalStages = i };
                await repository.SaveAsync(checkpoint);
                checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new CurrentStageSet(2, CheckpointSamples.At(i), $"stage-of-{i}"));
                accepted.Add((id, checkpoint));
            }
            catch (ArgumentException)
            {
                refused.Add(id);
            }
        }

        Log($"{accepted.Count} hostile ids kept, {refused.Count} refused: {string.Join(", ", refused.Select(Describe))}");
        refused.Should().Contain(["\uD800lone-high-surrogate", "lone-low-surrogate\uDC00"], "an id with a lone surrogate cannot be stored exactly");
        accepted.Should().Contain(x => x.Id == "café").And.Contain(x => x.Id == "cafe\u0301", "both spellings of café are valid ids");

        var fresh = await OpenRepositoryAsync();
        foreach (var (id, expected) in accepted)
        {
            (await fresh.ExistsAsync(id)).Should().BeTrue("card {0} was saved", Describe(id));
            var loaded = await fresh.LoadAsync(id);
            loaded.ShouldMatch(expected, $"card {Describe(id)} must load as itself");
        }

        var listed = await fresh.ListCardIdsAsync();
        foreach (var (id, _) in accepted)
        {
            listed.Count(x => string.Equals(x, id, StringComparison.Ordinal)).Should().Be(1, "card {0} is listed once, as itself", Describe(id));
        }

        var hostile = HostileIds.ToHashSet(StringComparer.Ordinal);
        foreach (var (id, _) in accepted)
        {
            await using var ownership = await fresh.AcquireOwnershipAsync(id, TimeSpan.Zero);
        }

        for (var i = 0; i < accepted.Count; i++)
        {
            (await fresh.DeleteAsync(accepted[i].Id)).Should().BeTrue("card {0} exists", Describe(accepted[i].Id));
            (await repository.ExistsAsync(accepted[i].Id)).Should().BeFalse();
            for (var j = i + 1; j < accepted.Count; j++)
            {
                (await repository.ExistsAsync(accepted[j].Id)).Should().BeTrue("deleting {0} must not delete {1}", Describe(accepted[i].Id), Describe(accepted[j].Id));
            }
        }

        (await fresh.ListCardIdsAsync()).Where(hostile.Contains).Should().BeEmpty();
    }

    /// <summary>Empty, white-space and control-character ids are refused with <see cref="ArgumentException"/> by every operation; null ids too.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task InvalidIds_EveryOperationThrowsArgumentException()
    {
        var repository = await OpenRepositoryAsync();
        foreach (var id in InvalidIds.Append(null))
        {
            var because = $"card id {Describe(id)} is invalid";
            await FluentActions.Awaiting(() => repository.LoadAsync(id!)).Should().ThrowAsync<ArgumentException>(because);
            await FluentActions.Awaiting(() => repository.ExistsAsync(id!)).Should().ThrowAsync<ArgumentException>(because);
            await FluentActions.Awaiting(() => repository.DeleteAsync(id!)).Should().ThrowAsync<ArgumentException>(because);
            await FluentActions.Awaiting(() => repository.CompactAsync(id!)).Should().ThrowAsync<ArgumentException>(because);
            await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(id!, TimeSpan.Zero)).Should().ThrowAsync<ArgumentException>(because);
            if (id is not null)
            {
                var checkpoint = CheckpointSamples.Minimal(id);
                await FluentActions.Awaiting(() => repository.SaveAsync(checkpoint)).Should().ThrowAsync<ArgumentException>(because);
                var change = new CurrentStageSet(2, CheckpointSamples.At(1), "s");
                await FluentActions.Awaiting(() => repository.SaveChangeAsync(new AppliedChange(checkpoint, change))).Should().ThrowAsync<ArgumentException>(because);
            }
        }

        await FluentActions.Awaiting(() => repository.SaveAsync(null!)).Should().ThrowAsync<ArgumentNullException>();
        (await repository.ListCardIdsAsync()).Should().NotContain(x => string.IsNullOrWhiteSpace(x) || x.Any(char.IsControl));
    }

    private static string Describe(string? id)
    {
        if (id is null)
        {
            return "null";
        }

        var shown = id.Length > 40 ? $"{id[..20]}…({id.Length} chars)" : id;
        var escaped = new StringBuilder("'");
        foreach (var c in shown)
        {
            escaped.Append(char.IsControl(c) || char.IsSurrogate(c) || char.IsWhiteSpace(c) && c != ' ' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return escaped.Append('\'').ToString();
    }
}
