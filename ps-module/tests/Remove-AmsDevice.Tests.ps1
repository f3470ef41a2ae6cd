#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsDevice, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsDevice' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes -Id from the pipeline and asks for confirmation (ConfirmImpact High)' {
        (Get-AmsParameterSet Remove-AmsDevice Id).IsMandatory | Should -BeTrue
        (Get-AmsParameterSet Remove-AmsDevice Id).ValueFromPipelineByPropertyName | Should -BeTrue
        Get-AmsConfirmImpact Remove-AmsDevice | Should -BeExactly 'High'
    }

    It 'removes with --force after -Force and writes nothing' {
        $output = Remove-AmsDevice -Id 'd-1' -Force
        $output | Should -BeNullOrEmpty
        (Get-AmsStubCall).Line | Should -BeExactly 'device remove --id d-1 --force'
    }

    It 'passes --force when the user confirmed with -Confirm:$false' {
        Remove-AmsDevice -Id 'd-1' -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'device remove --id d-1 --force'
    }

    It 'does not run ams under -WhatIf, even with -Force' {
        Remove-AmsDevice -Id 'd-1' -Force -WhatIf
        @(Get-AmsDevice) | Remove-AmsDevice -WhatIf
        @(Get-AmsStubCall | Where-Object { $_.Line -ne 'device get' }).Count | Should -Be 0
    }

    It 'reports a missing device as a non-terminating ObjectNotFound error' {
        Remove-AmsDevice -Id 'fail-not_found' -Force -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -BeExactly 'fail-not_found'
    }
}
