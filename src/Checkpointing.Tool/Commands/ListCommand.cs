using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;
using Spectre.Console;

namespace Checkpointing.Tool.Commands;

/// <summary><c>list</c>: one row per card, filtered, sorted and paged; reads without taking ownership.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var json = ToolOptions.Json();
        var status = new Option<string[]>("--status")
        {
            Description = "Only cards with this status (active, paused, resumed, failed, completed); repeat for several.",
            AllowMultipleArgumentsPerToken = true,
        };
        var before = new Option<string?>("--updated-before") { Description = "Only cards last changed before this time (ISO 8601) or this long ago (30m, 12h, 7d)." };
        var after = new Option<string?>("--updated-after") { Description = "Only cards last changed after this time (ISO 8601) or this long ago (30m, 12h, 7d)." };
        var sort = new Option<string>("--sort")
        {
            Description = "Sort by updated (newest first, the default), id, status, progress, cost or size.",
            DefaultValueFactory = _ => "updated",
        };
        sort.AcceptOnlyFromAmong("updated", "id", "status", "progress", "cost", "size");
        var limit = new Option<int>("--limit") { Description = "Cards per page (default 50).", DefaultValueFactory = _ => 50 };
        var page = new Option<int>("--page") { Description = "The page to show, from 1 (default 1).", DefaultValueFactory = _ => 1 };
        var command = new Command("list", "One row per card: status, progress, current stage, failed stages, updated, resumes, cost, size.")
        {
            store, json, status, before, after, sort, limit, page,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var now = DateTimeOffset.UtcNow;
            var filter = new CardFilter(
                StatusInput.Parse(parse.GetValue(status), "--status"),
                parse.GetValue(before) is { } b ? TimeInput.ParsePoint(b, now, "--updated-before") : null,
                parse.GetValue(after) is { } a ? TimeInput.ParsePoint(a, now, "--updated-after") : null);
            var (pageSize, pageNumber) = (parse.GetValue(limit), parse.GetValue(page));
            if (pageSize < 1 || pageNumber < 1)
            {
                throw new UsageException("--limit and --page must be 1 or more.");
            }

            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var (cards, unreadable) = await CardLoader.LoadAllAsync(opened, filter, cancellationToken).ConfigureAwait(false);
            var sorted = Sort(cards, parse.GetValue(sort)!);
            var shown = sorted.Skip((pageNumber - 1) * pageSize).Take(pageSize).ToList();
            if (parse.GetValue(json))
            {
                JsonOutput.WriteList(opened.Spec.Display, cards.Count, shown, unreadable);
            }
            else
            {
                var console = ToolConsole.Create();
                ListView.Render(console, shown, now);
                var first = shown.Count == 0 ? 0 : ((pageNumber - 1) * pageSize) + 1;
                var more = first + shown.Count - 1 < cards.Count ? $"; --page {pageNumber + 1} for more" : string.Empty;
                console.WriteLine($"{opened.Spec.Display}: cards {first}-{first + shown.Count - 1} of {cards.Count}{more}");
            }

            foreach (var (cardId, error) in unreadable)
            {
                ErrorOutput.Line($"card '{cardId}' cannot be read: {error} Run 'checkpointing verify {cardId}' for details.");
            }

            return unreadable.Count == 0 ? ExitCodes.Success : ExitCodes.Problem;
        });
        return command;
    }

    private static IEnumerable<CardSummary> Sort(IReadOnlyList<CardSummary> cards, string by) => by switch
    {
        "id" => cards.OrderBy(c => c.CardId, StringComparer.Ordinal),
        "status" => cards.OrderBy(c => Formats.Status(c.Checkpoint.Status), StringComparer.Ordinal).ThenBy(c => c.CardId, StringComparer.Ordinal),
        "progress" => cards.OrderByDescending(c => c.Fraction).ThenBy(c => c.CardId, StringComparer.Ordinal),
        "cost" => cards.OrderByDescending(c => c.Cost.Total.CostByCurrency.Values.Sum()).ThenBy(c => c.CardId, StringComparer.Ordinal),
        "size" => cards.OrderByDescending(c => c.SizeBytes).ThenBy(c => c.CardId, StringComparer.Ordinal),
        _ => cards.OrderByDescending(c => c.Checkpoint.UpdatedAt).ThenBy(c => c.CardId, StringComparer.Ordinal),
    };
}
