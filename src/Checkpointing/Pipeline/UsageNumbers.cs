using System.Text.Json;

namespace Checkpointing.Pipeline;

/// <summary>
/// Reads the numbers of stored LLM usage: token counts and costs are JSON numbers and never negative. Anything else
/// (a count written as a string, a negative cost) is not usage the library counts.
/// </summary>
internal static class UsageNumbers
{
    /// <summary>Reads a token count: a non-negative integer that fits in a <see cref="long"/>.</summary>
    public static bool TryGetCount(JsonElement value, out long count)
    {
        count = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out count) && count >= 0;
    }

    /// <summary>Reads a cost: a non-negative number that fits in a <see cref="decimal"/>.</summary>
    public static bool TryGetAmount(JsonElement value, out decimal amount)
    {
        amount = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out amount) && amount >= 0;
    }
}
