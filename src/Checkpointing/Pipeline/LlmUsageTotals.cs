using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Pipeline;

namespace Checkpointing;

/// <summary>Summed LLM usage: calls, tokens and cost per currency.</summary>
/// <param name="Calls">The number of responses counted.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="CostByCurrency">Cost per ISO 4217 currency; responses without a known cost add none.</param>
public sealed record LlmUsageTotals(int Calls, long PromptTokens, long CompletionTokens, IReadOnlyDictionary<string, decimal> CostByCurrency)
{
    /// <summary>Gets totals of nothing.</summary>
    public static LlmUsageTotals Empty { get; } = new(0, 0, 0, ImmutableSortedDictionary<string, decimal>.Empty);

    /// <summary>Gets prompt and completion tokens together.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>Describes the totals, for example <c>12 calls, 460 tokens (300 prompt + 160 completion), 0.0046 USD</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var costs = CostByCurrency.Count == 0
            ? (Calls == 0 ? "no cost" : "cost unknown")
            : string.Join(" + ", CostByCurrency.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.Value} {p.Key}")));
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{Calls} calls, {TotalTokens} tokens ({PromptTokens} prompt + {CompletionTokens} completion), {costs}");
    }

    /// <summary>Adds one response; usage the Python manager wrote (<c>tokens</c>, <c>cost_usd</c>) counts too.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The new totals.</returns>
    /// <exception cref="OverflowException">A total no longer fits (tokens in a <see cref="long"/>, costs in a <see cref="decimal"/>).</exception>
    public LlmUsageTotals Add(LlmResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var usage = response.Usage ?? FromPythonFields(response);
        if (usage is null)
        {
            return this with { Calls = Calls + 1 };
        }

        var costs = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, CostByCurrency);
        if (usage.Cost is { } cost)
        {
            var currency = usage.Currency ?? "USD";
            costs = costs.SetItem(currency, costs.GetValueOrDefault(currency) + cost);
        }

        return new LlmUsageTotals(
            checked(Calls + 1), checked(PromptTokens + usage.PromptTokens), checked(CompletionTokens + usage.CompletionTokens), costs);
    }

    /// <summary>Adds other totals.</summary>
    /// <param name="other">The totals to add.</param>
    /// <returns>The sum.</returns>
    /// <exception cref="OverflowException">A total no longer fits (tokens in a <see cref="long"/>, costs in a <see cref="decimal"/>).</exception>
    public LlmUsageTotals Add(LlmUsageTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var costs = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, CostByCurrency);
        foreach (var (currency, cost) in other.CostByCurrency)
        {
            costs = costs.SetItem(currency, costs.GetValueOrDefault(currency) + cost);
        }

        return new LlmUsageTotals(
            checked(Calls + other.Calls), checked(PromptTokens + other.PromptTokens), checked(CompletionTokens + other.CompletionTokens), costs);
    }

    private static LlmUsage? FromPythonFields(LlmResponse response)
    {
        var extra = response.AdditionalProperties;
        long prompt = 0, completion = 0;
        var found = false;
        if (extra.TryGetValue("tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Object)
        {
            found = true;
            prompt = tokens.TryGetProperty("prompt", out var p) && UsageNumbers.TryGetCount(p, out var pv) ? pv : 0;
            completion = tokens.TryGetProperty("completion", out var c) && UsageNumbers.TryGetCount(c, out var cv) ? cv : 0;
        }

        decimal? cost = null;
        if (extra.TryGetValue("cost_usd", out var usd) && UsageNumbers.TryGetAmount(usd, out var value))
        {
            found = true;
            cost = value;
        }

        return found ? new LlmUsage(prompt, completion, cost, "USD") : null;
    }
}
