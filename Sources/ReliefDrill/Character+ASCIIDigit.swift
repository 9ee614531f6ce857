/// Scenario times and numbers are ASCII digits only (`Character.isNumber` would take ٣ and ³).
extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
