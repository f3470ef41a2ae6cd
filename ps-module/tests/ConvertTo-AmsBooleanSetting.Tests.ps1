#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of the private helper that gives boolean settings their one spelling.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
}

Describe 'ConvertTo-AmsBooleanSetting' {
    It 'turns switches and bools into the words true and false, in place' {
        InModuleScope AccessManager {
            $p = [ordered]@{ Id = 'r'; LapsAllowExtension = [switch]$true; JitAllowExtension = $false }
            ConvertTo-AmsBooleanSetting -Parameters $p -Name 'LapsAllowExtension', 'JitAllowExtension', 'Absent'
            $p['LapsAllowExtension'] | Should -BeExactly 'true'
            $p['JitAllowExtension'] | Should -BeExactly 'false'
            $p.Keys | Should -Not -Contain 'Absent'
        }
    }

    It 'maps -Enable/-Disable onto one setting and drops the switches' {
        InModuleScope AccessManager {
            $on = [ordered]@{ Id = 'r'; Enable = [switch]$true }
            ConvertTo-AmsBooleanSetting -Parameters $on -Setting 'Enabled' -OnSwitch 'Enable' -OffSwitch 'Disable'
            @($on.Keys) | Should -Be @('Id', 'Enabled')
            $on['Enabled'] | Should -BeExactly 'true'
            $off = [ordered]@{ Disabled = [switch]$true }
            ConvertTo-AmsBooleanSetting -Parameters $off -Setting 'Enabled' -OffSwitch 'Disabled'
            $off['Enabled'] | Should -BeExactly 'false'
            # -Enable:$false says nothing: the setting is left unchanged.
            $none = [ordered]@{ Enable = [switch]$false }
            ConvertTo-AmsBooleanSetting -Parameters $none -Setting 'Enabled' -OnSwitch 'Enable' -OffSwitch 'Disable'
            $none.Count | Should -Be 0
        }
    }
}
