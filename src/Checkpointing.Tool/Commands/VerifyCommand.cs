using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;
using Spectre.Console;

namespace Checkpointing.Tool.Commands;

/// <summary>
/// <c>verify [&lt;card&gt;...]</c>: reads every file (or row) in full and reports what is wrong; exit 0 when nothing is
/// damaged, 1 when anything is. Harmless findings (torn tails, leftovers) are reported but do not fail.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var json = ToolOptions.Json();
        var cards = new Argument<string[]>("cards") { Description = "The cards to verify; all when none is given.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("verify", "Read every file or row in full: torn tails (harmless), damage with file and offset, version problems, files of another card, orphaned temp files.")
        {
            cards, store, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(cards) is { Length: > 0 } ids ? ids : null;
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var missing = given is null ? [] : await MissingAsync(opened, given, cancellationToken).ConfigureAwait(false);
            foreach (var id in missing)
            {
                ErrorOutput.Line(CardLoader.NotFound(id, opened));
            }

            if (given is not null && missing.Count > 0)
            {
                given = [.. given.Except(missing, StringComparer.Ordinal)];
                if (given.Length == 0)
                {
                    return ExitCodes.Problem;
                }
            }

            var (checkedCards, findings) = opened.Repository is FileSystemCheckpointRepository files
                ? await VerifyFilesAsync(files, given, cancellationToken).ConfigureAwait(false)
                : await VerifyRowsAsync(opened, given, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteVerify(opened.Spec.Display, checkedCards, findings);
            }
            else
            {
                Render(ToolConsole.Create(), opened.Spec.Display, checkedCards, findings);
            }

            return findings.Any(f => f.IsDamage) || missing.Count > 0 ? ExitCodes.Problem : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The named cards the store has nothing for: reported as unknown, not as damaged.</summary>
    private static async Task<IReadOnlyList<string>> MissingAsync(OpenStore store, string[] cards, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var id in cards.Distinct(StringComparer.Ordinal))
        {
            if (!await store.Repository.ExistsAsync(id, cancellationToken).ConfigureAwait(false))
            {
                missing.Add(id);
            }
        }

        return missing;
    }

    private static async Task<(IReadOnlyList<string>, IReadOnlyList<CheckpointFinding>)> VerifyFilesAsync(
        FileSystemCheckpointRepository files, string[]? cards, CancellationToken cancellationToken)
    {
        var result = await CheckpointFileVerifier.VerifyAsync(files.Directory, cards, cancellationToken).ConfigureAwait(false);
        return (result.Cards, result.Findings);
    }

    /// <summary>A database store: loading a card reads its document and every change row, and checks them.</summary>
    private static async Task<(IReadOnlyList<string>, IReadOnlyList<CheckpointFinding>)> VerifyRowsAsync(
        OpenStore store, string[]? cards, CancellationToken cancellationToken)
    {
        var ids = cards ?? [.. (await store.Repository.ListCardIdsAsync(cancellationToken).ConfigureAwait(false)).Order(StringComparer.Ordinal)];
        var findings = new List<CheckpointFinding>();
        foreach (var id in ids)
        {
            try
            {
                if (await store.Repository.LoadAsync(id, cancellationToken).ConfigureAwait(false) is null)
                {
                    findings.Add(new CheckpointFinding(CheckpointFindingKind.Damaged, id, store.Spec.Display, null, "no checkpoint is stored for this card"));
                }
            }
            catch (CheckpointVersionException ex)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.UnsupportedVersion, id, ex.Path ?? store.Spec.Display, null, ex.Message));
            }
            catch (CheckpointCorruptedException ex)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.Damaged, id, ex.Path ?? store.Spec.Display, ex.Offset, ex.Message));
            }
        }

        return (ids, findings);
    }

    private static void Render(IAnsiConsole console, string store, IReadOnlyList<string> cards, IReadOnlyList<CheckpointFinding> findings)
    {
        if (findings.Count > 0)
        {
            var table = ToolConsole.NewTable(console);
            table.AddColumn("finding");
            table.AddColumn("card");
            table.AddColumn("file");
            table.AddColumn(new TableColumn("offset").RightAligned());
            table.AddColumn("what it means");
            foreach (var finding in findings)
            {
                var kind = JsonNamingKind(finding.Kind);
                table.AddRow(
                    finding.IsDamage ? $"[red]{kind}[/]" : $"[yellow]{kind}[/]",
                    StatusStyle.Escape(finding.CardId ?? "-"),
                    StatusStyle.Escape(finding.Path),
                    finding.Offset?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    StatusStyle.Escape(finding.Message));
            }

            console.Write(table);
        }

        var damaged = findings.Count(f => f.IsDamage);
        console.WriteLine(damaged == 0
            ? $"{store}: {Formats.Count(cards.Count, "card")} verified, no damage ({Formats.Count(findings.Count, "harmless finding")})"
            : $"{store}: {Formats.Count(cards.Count, "card")} verified, {damaged} damaged; a damaged card cannot be loaded until its file is repaired or the card is cleared");
    }

    private static string JsonNamingKind(CheckpointFindingKind kind) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
}
